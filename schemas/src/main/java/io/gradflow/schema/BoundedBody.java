package io.gradflow.schema;

import java.util.List;
import org.apache.avro.Schema;

/**
 * Checks an Avro binary body against its writer's schema before Avro decodes it, so that decoding
 * never allocates more than the record's own bytes can justify. Avro sizes a collection, a string
 * or a bytes value by the length the data declares ({@code new GenericData.Array(count)}): a
 * 29-byte record declaring an array of 2^31-10 floats makes it allocate gigabytes and throw
 * {@code OutOfMemoryError}. Avro's own limits ({@code org.apache.avro.limits.*.maxLength}) default
 * to the VM's largest array and still apply after this check.
 *
 * <p>The rule, for every collection block, string and bytes value anywhere in the record: the
 * declared length must fit in the bytes that remain after it. An array of {@code n} items needs at
 * least {@code n} times the smallest encoding of its item type (a float 4 bytes, a string or a
 * long 1 byte; a type that encodes in 0 bytes, such as null or an empty record, counts 1 byte), a
 * map's entry its key's byte plus its value's minimum, a string or bytes value its length. So
 * decoding allocates at most a small constant times the record's size. A record that ends early,
 * a negative length, a union branch that does not exist or nesting deeper than
 * {@value #MAX_DEPTH} levels is refused too. The message names the field path and both numbers:
 * {@code "dense declares 2147483638 items but the record has 0 bytes left"}.
 *
 * <p>One pass over the body reading only lengths and skipping contents; allocates nothing unless
 * it refuses. Immutable and thread-safe: one instance per writer schema, built once.
 */
final class BoundedBody {
  /** Deeper nesting (only possible with recursive schemas) is refused, before the stack is. */
  static final int MAX_DEPTH = 200;

  private final Node root;

  private BoundedBody(Node root) {
    this.root = root;
  }

  /** The checker of bodies written with {@code writer}. */
  static BoundedBody of(Schema writer) {
    return new BoundedBody(Node.compile(writer, new java.util.IdentityHashMap<>()));
  }

  /**
   * Checks {@code bytes[offset, bytes.length)}.
   *
   * @throws Refused naming the field path, the declared length and the bytes left
   */
  void check(byte[] bytes, int offset) throws Refused {
    Cursor c = new Cursor(bytes, offset);
    root.walk(c, 0);
  }

  /** A body that may not be decoded; the message says where and why. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final StringBuilder path = new StringBuilder();
    private final String problem;

    Refused(String problem) {
      super(null, null, false, false);
      this.problem = problem;
    }

    Refused at(String segment) {
      path.insert(0, segment);
      return this;
    }

    @Override
    public String getMessage() {
      String p = path.length() > 0 && path.charAt(0) == '.' ? path.substring(1) : path.toString();
      return p.isEmpty() ? problem : p + " " + problem;
    }
  }

  /** A read position in the body. */
  private static final class Cursor {
    final byte[] b;
    int pos;

    Cursor(byte[] b, int pos) {
      this.b = b;
      this.pos = pos;
    }

    long left() {
      return b.length - pos;
    }

    long varLong() throws Refused {
      long raw = 0;
      int shift = 0;
      while (true) {
        if (pos >= b.length) {
          throw new Refused("ends inside a number: the record is truncated");
        }
        int x = b[pos++] & 0xff;
        raw |= (long) (x & 0x7f) << shift;
        if (x < 0x80) {
          break;
        }
        shift += 7;
        if (shift > 63) {
          throw new Refused("has a number longer than 10 bytes: not Avro's encoding");
        }
      }
      return (raw >>> 1) ^ -(raw & 1);
    }

    void skip(long n, String what) throws Refused {
      if (n > left()) {
        throw new Refused("needs " + n + " bytes for " + what + " but the record has "
            + left() + " bytes left: the record is truncated");
      }
      pos += (int) n;
    }

    /** A declared length (string, bytes) that must fit in what is left. */
    void skipSized(String what) throws Refused {
      long n = varLong();
      if (n < 0) {
        throw new Refused("declares a " + what + " of negative length " + n);
      }
      if (n > left()) {
        throw new Refused("declares a " + what + " of " + n + " bytes but the record has "
            + left() + " bytes left");
      }
      pos += (int) n;
    }
  }

  /** A compiled schema node: its type, smallest encoding and children. */
  private static final class Node {
    final Schema.Type type;
    final int fixedSize;
    /** The smallest number of bytes any value of this type encodes to. */
    long minSize;
    Node[] children = new Node[0];
    String[] names = new String[0];

    Node(Schema.Type type, int fixedSize) {
      this.type = type;
      this.fixedSize = fixedSize;
    }

    static Node compile(Schema s, java.util.IdentityHashMap<Schema, Node> seen) {
      Node known = seen.get(s);
      if (known != null) {
        return known; // a recursive schema: the node is being built (minSize 0 so far)
      }
      Node n = new Node(s.getType(), s.getType() == Schema.Type.FIXED ? s.getFixedSize() : 0);
      seen.put(s, n);
      switch (s.getType()) {
        case NULL -> n.minSize = 0;
        case BOOLEAN, INT, LONG, ENUM, STRING, BYTES -> n.minSize = 1;
        case FLOAT -> n.minSize = 4;
        case DOUBLE -> n.minSize = 8;
        case FIXED -> n.minSize = s.getFixedSize();
        case ARRAY -> {
          n.children = new Node[] {compile(s.getElementType(), seen)};
          n.minSize = 1;
        }
        case MAP -> {
          n.children = new Node[] {compile(s.getValueType(), seen)};
          n.minSize = 1;
        }
        case UNION -> {
          List<Schema> types = s.getTypes();
          n.children = new Node[types.size()];
          n.names = new String[types.size()];
          long min = Long.MAX_VALUE;
          for (int i = 0; i < types.size(); i++) {
            n.children[i] = compile(types.get(i), seen);
            n.names[i] = types.get(i).getName();
            min = Math.min(min, n.children[i].minSize);
          }
          n.minSize = 1 + (types.isEmpty() ? 0 : min);
        }
        case RECORD -> {
          List<Schema.Field> fields = s.getFields();
          n.children = new Node[fields.size()];
          n.names = new String[fields.size()];
          long min = 0;
          for (int i = 0; i < fields.size(); i++) {
            n.children[i] = compile(fields.get(i).schema(), seen);
            n.names[i] = fields.get(i).name();
            min += n.children[i].minSize;
          }
          n.minSize = min;
        }
        default -> throw new IllegalArgumentException("unknown Avro type " + s.getType());
      }
      return n;
    }

    void walk(Cursor c, int depth) throws Refused {
      if (depth > MAX_DEPTH) {
        throw new Refused("nests deeper than " + MAX_DEPTH + " levels");
      }
      switch (type) {
        case NULL -> { }
        case BOOLEAN -> c.skip(1, "a boolean");
        case INT, LONG, ENUM -> c.varLong();
        case FLOAT -> c.skip(4, "a float");
        case DOUBLE -> c.skip(8, "a double");
        case FIXED -> c.skip(fixedSize, "a fixed value");
        case STRING -> c.skipSized("string");
        case BYTES -> c.skipSized("bytes value");
        case UNION -> {
          long index = c.varLong();
          if (index < 0 || index >= children.length) {
            throw new Refused("selects union branch " + index + " of " + children.length);
          }
          children[(int) index].walk(c, depth + 1);
        }
        case RECORD -> {
          for (int i = 0; i < children.length; i++) {
            try {
              children[i].walkInline(c, depth + 1);
            } catch (Refused r) {
              throw r.at("." + names[i]);
            }
          }
        }
        case ARRAY, MAP -> walkBlocks(c, depth);
        default -> throw new IllegalStateException("unknown Avro type " + type);
      }
    }

    /**
     * As {@link #walk}, with the common leaves (strings, numbers, null, and unions of them)
     * handled here instead of through another call: a record's fields are mostly leaves, and
     * this keeps the check's cost per record small next to Avro's decoding.
     */
    void walkInline(Cursor c, int depth) throws Refused {
      switch (type) {
        case STRING -> c.skipSized("string");
        case INT, LONG -> c.varLong();
        case FLOAT -> c.skip(4, "a float");
        case NULL -> { }
        case UNION -> {
          long index = c.varLong();
          if (index < 0 || index >= children.length) {
            throw new Refused("selects union branch " + index + " of " + children.length);
          }
          Node branch = children[(int) index];
          switch (branch.type) {
            case NULL -> { }
            case STRING -> c.skipSized("string");
            case INT, LONG -> c.varLong();
            case FLOAT -> c.skip(4, "a float");
            default -> branch.walk(c, depth + 1);
          }
        }
        default -> walk(c, depth);
      }
    }

    private void walkBlocks(Cursor c, int depth) throws Refused {
      Node item = children[0];
      long itemMin = Math.max(1, type == Schema.Type.MAP ? 1 + item.minSize : item.minSize);
      long index = 0;
      while (true) {
        long count = c.varLong();
        if (count == 0) {
          return;
        }
        if (count < 0) {
          if (count == Long.MIN_VALUE) {
            throw new Refused("declares an impossible item count " + count);
          }
          count = -count;
          long blockBytes = c.varLong();
          if (blockBytes < 0 || blockBytes > c.left()) {
            throw new Refused("declares a block of " + blockBytes + " bytes but the record has "
                + c.left() + " bytes left");
          }
        }
        if (count > c.left() / itemMin) {
          throw new Refused("declares " + count + " items but the record has " + c.left()
              + " bytes left");
        }
        for (long i = 0; i < count; i++, index++) {
          try {
            if (type == Schema.Type.MAP) {
              c.skipSized("key");
            }
            item.walkInline(c, depth + 1);
          } catch (Refused r) {
            throw r.at("[" + index + "]");
          }
        }
      }
    }
  }
}
