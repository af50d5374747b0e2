package io.gradflow.jobs.produce;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of UTF-8 bytes, as {@link java.io.BufferedReader#readLine()} reads them from a
 * strict UTF-8 {@link java.io.InputStreamReader} (line ends {@code \n}, {@code \r\n} or
 * {@code \r}; a last line without one is a line), but read in large blocks of bytes and decoded
 * line by line: a line of ASCII bytes (the common case) becomes a string by one copy, any other
 * line goes through a strict UTF-8 decoder. Bytes that are not UTF-8 throw a
 * {@link CharacterCodingException} on the line that holds them (a reader decoding ahead names an
 * earlier line). A line end byte never occurs inside a UTF-8 sequence, so lines are split before
 * decoding.
 *
 * <p>Memory: a 64 kB buffer, doubled while one line does not fit. Not thread-safe.
 */
final class Utf8Lines {
  private static final int BLOCK = 1 << 16;
  private final InputStream in;
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private byte[] buf = new byte[BLOCK];
  private int pos;
  private int limit;
  private boolean eof;
  /** The last line ended with {@code \r}: a {@code \n} right after it belongs to that end. */
  private boolean skipLineFeed;

  Utf8Lines(InputStream in) {
    this.in = in;
  }

  /** The next line without its end, or null at the end of the input. */
  String readLine() throws IOException {
    if (skipLineFeed) {
      if (pos == limit && !eof) {
        fill();
      }
      if (pos < limit && buf[pos] == '\n') {
        pos++;
      }
      skipLineFeed = false;
    }
    int scan = pos;
    int bits = 0; // the OR of the line's bytes: negative when one is not ASCII
    while (true) {
      byte[] b = buf;
      int end = limit;
      int i = scan;
      while (i < end) {
        byte c = b[i];
        if (c == '\n' || c == '\r') {
          break;
        }
        bits |= c;
        i++;
      }
      if (i < end) {
        String line = decode(pos, i, bits < 0);
        skipLineFeed = b[i] == '\r';
        pos = i + 1;
        return line;
      }
      if (eof) {
        if (pos == limit) {
          return null;
        }
        String line = decode(pos, limit, bits < 0);
        pos = limit;
        return line;
      }
      scan = limit - pos; // the line's bytes so far move to the front
      fill();
      scan += pos;
    }
  }

  /** Moves the unread bytes to the front (growing the buffer when they fill it) and reads. */
  private void fill() throws IOException {
    int unread = limit - pos;
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, unread);
    } else if (unread == buf.length) {
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    pos = 0;
    limit = unread;
    int n;
    do {
      n = in.read(buf, limit, buf.length - limit);
    } while (n == 0);
    if (n < 0) {
      eof = true;
    } else {
      limit += n;
    }
  }

  private String decode(int from, int to, boolean nonAscii) throws CharacterCodingException {
    if (!nonAscii) {
      return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    }
    return utf8.decode(ByteBuffer.wrap(buf, from, to - from)).toString();
  }

  void close() throws IOException {
    in.close();
  }
}
