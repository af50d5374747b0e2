package io.gradflow.jobs.evaluate;

import io.gradflow.jobs.kafka.RawRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The file's source for {@code evaluate}: a bounded FLIP-27 source of one split, the file, read
 * as it is consumed (never held in memory) from the {@link FileReading} the command opened,
 * at parallelism 1, in file order. It emits what {@code fromData} over the whole file's records
 * emitted before (the same {@link RawRecord}s in the same order; {@link FileReading#next}), so
 * {@link HoldingSource} wraps it as it wrapped {@code fromData}'s source.
 *
 * <p>The file is handed over in process, as {@link HoldingSource}'s hold is: {@code evaluate}
 * always runs its job on a local MiniCluster in the command's own JVM, and the command reads the
 * replay's counts and messages after the job ({@link FileReading}). A reader in another JVM finds
 * no reading and fails with a message saying so.
 *
 * <p>State: the split is the reading's id and the number of examples emitted before it
 * ({@link Split#position}), so a restore continues exactly there ({@link FileReading#at}: the
 * file is read again from its start and the examples before the position are skipped, so a
 * CSV's imputer and header are as they were). {@code evaluate} never restores mid-file: it takes
 * no checkpoints, and {@code --final-savepoint} is taken while the source holds after the
 * file's end, and keeps no state of the source ({@link FinalSavepoint#keepTrainingState}).
 * The enumerator's state is the split not yet assigned, if any.
 *
 * <p>Serializable as every {@link Source}; a reader runs in its task thread.
 */
final class FileReplaySource implements Source<RawRecord, FileReplaySource.Split,
    List<FileReplaySource.Split>>, ResultTypeQueryable<RawRecord> {
  private static final long serialVersionUID = 1L;

  private final String reading;

  /** The source of {@code reading}'s file, from its start. */
  FileReplaySource(FileReading reading) {
    this.reading = reading.share();
  }

  /**
   * The file, read from its {@link #position}-th example (0-based: the number emitted before).
   * Immutable.
   */
  record Split(String reading, long position) implements SourceSplit {
    @Override
    public String splitId() {
      return reading;
    }
  }

  @Override
  public Boundedness getBoundedness() {
    return Boundedness.BOUNDED;
  }

  @Override
  public TypeInformation<RawRecord> getProducedType() {
    return TypeInformation.of(RawRecord.class);
  }

  @Override
  public SourceReader<RawRecord, Split> createReader(SourceReaderContext context) {
    return new Reader(context);
  }

  @Override
  public SplitEnumerator<Split, List<Split>> createEnumerator(
      SplitEnumeratorContext<Split> context) {
    return new Enumerator(context, new ArrayList<>(List.of(new Split(reading, 0))));
  }

  @Override
  public SplitEnumerator<Split, List<Split>> restoreEnumerator(
      SplitEnumeratorContext<Split> context, List<Split> unassigned) {
    return new Enumerator(context, new ArrayList<>(unassigned));
  }

  @Override
  public SimpleVersionedSerializer<Split> getSplitSerializer() {
    return SplitSerializer.INSTANCE;
  }

  @Override
  public SimpleVersionedSerializer<List<Split>> getEnumeratorCheckpointSerializer() {
    return new SimpleVersionedSerializer<>() {
      @Override
      public int getVersion() {
        return 1;
      }

      @Override
      public byte[] serialize(List<Split> splits) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeInt(splits.size());
        for (Split s : splits) {
          SplitSerializer.write(s, out);
        }
        return out.getCopyOfBuffer();
      }

      @Override
      public List<Split> deserialize(int version, byte[] bytes) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        int n = in.readInt();
        List<Split> splits = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          splits.add(SplitSerializer.read(in));
        }
        return splits;
      }
    };
  }

  /** A split as its reading's id (UTF) and its position (long). Version 1. */
  static final class SplitSerializer implements SimpleVersionedSerializer<Split> {
    static final SplitSerializer INSTANCE = new SplitSerializer();

    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(Split split) throws IOException {
      DataOutputSerializer out = new DataOutputSerializer(64);
      write(split, out);
      return out.getCopyOfBuffer();
    }

    @Override
    public Split deserialize(int version, byte[] bytes) throws IOException {
      return read(new DataInputDeserializer(bytes));
    }

    static void write(Split split, DataOutputSerializer out) throws IOException {
      out.writeUTF(split.reading());
      out.writeLong(split.position());
    }

    static Split read(DataInputDeserializer in) throws IOException {
      return new Split(in.readUTF(), in.readLong());
    }
  }

  /** Hands the one split to the first reader that asks; then there are no more. */
  private static final class Enumerator implements SplitEnumerator<Split, List<Split>> {
    private final SplitEnumeratorContext<Split> context;
    private final List<Split> unassigned;

    Enumerator(SplitEnumeratorContext<Split> context, List<Split> unassigned) {
      this.context = context;
      this.unassigned = unassigned;
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtask, String hostname) {
      if (unassigned.isEmpty()) {
        context.signalNoMoreSplits(subtask);
      } else {
        context.assignSplit(unassigned.remove(0), subtask);
      }
    }

    @Override
    public void addSplitsBack(List<Split> splits, int subtask) {
      unassigned.addAll(splits);
    }

    @Override
    public void addReader(int subtask) {}

    @Override
    public List<Split> snapshotState(long checkpointId) {
      return new ArrayList<>(unassigned);
    }

    @Override
    public void close() {}
  }

  /**
   * Emits the examples of its split's reading, one per {@link #pollNext}, then asks for another
   * split (there is none: the end of input). Runs in the task thread.
   */
  private static final class Reader implements SourceReader<RawRecord, Split> {
    private final SourceReaderContext context;
    private CompletableFuture<Void> available = new CompletableFuture<>();
    private Split split;
    private FileReading reading;
    private boolean noMoreSplits;

    Reader(SourceReaderContext context) {
      this.context = context;
    }

    @Override
    public void start() {
      context.sendSplitRequest();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<RawRecord> output) {
      if (reading == null) {
        if (noMoreSplits) {
          return InputStatus.END_OF_INPUT;
        }
        return InputStatus.NOTHING_AVAILABLE;
      }
      RawRecord record = reading.next();
      if (record != null) {
        output.collect(record);
        return InputStatus.MORE_AVAILABLE;
      }
      reading = null;
      split = null;
      available = new CompletableFuture<>();
      context.sendSplitRequest();
      return InputStatus.NOTHING_AVAILABLE;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
      return available;
    }

    @Override
    public List<Split> snapshotState(long checkpointId) {
      return split == null ? List.of() : List.of(new Split(split.reading(), reading.emitted()));
    }

    @Override
    public void addSplits(List<Split> splits) {
      if (splits.size() != 1 || split != null) {
        throw new IllegalStateException("the file's source reads one split at a time, but was"
            + " given " + splits + (split != null ? " while reading " + split : ""));
      }
      split = splits.get(0);
      reading = FileReading.find(split.reading()).at(split.position());
      available.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
      noMoreSplits = true;
      available.complete(null);
    }

    @Override
    public void pauseOrResumeSplits(Collection<String> pause, Collection<String> resume) {
      // one split, never aligned with another source's watermarks
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {}

    @Override
    public void close() {}
  }
}
