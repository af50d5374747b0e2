package io.gradflow.jobs.snapshot;

import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.schema.ModelSnapshot;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Model snapshot files: Avro container files of {@link ModelSnapshot} records, one per model key,
 * Snappy-compressed (Avro's Snappy codec checks a CRC-32 of every block, so a corrupt block is
 * refused rather than read as other numbers), with the number of records in the header's metadata
 * ({@value #MODELS_META}), so a file cut at a block boundary is refused too. Writing never replaces a file: the records go to a hidden file beside the
 * target, which is then moved to a name that must not exist. Reading resolves any known writer
 * version into the current schema (the file's header carries the writer's schema) and refuses a
 * file that is not one, is truncated or corrupt, or has a newer layout, naming the file.
 */
public final class SnapshotFiles {
  /** The newest {@code schema_version} this code writes and reads. */
  public static final int SCHEMA_VERSION = 6;

  /** Header metadata: the number of records the file holds. */
  static final String MODELS_META = "gradflow.models";

  private SnapshotFiles() {}

  /** Fails with the usage when a required flag is missing. */
  static void requireFlags(io.gradflow.jobs.cli.Flag.Values flags,
      List<io.gradflow.jobs.cli.Flag> table, String... required) {
    for (String name : required) {
      if (!flags.isSet(name)) {
        throw new io.gradflow.jobs.cli.Command.UsageException("--" + name + " is required\n"
            + io.gradflow.jobs.cli.Flag.help(table));
      }
    }
  }

  /** Writes {@code snapshots} to {@code out}, which must not exist. */
  public static void write(List<ModelSnapshot> snapshots, Path out) throws IOException {
    UserException.requireAbsent("--out", out);
    Path dir = out.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, "." + out.getFileName(), ".partial");
    try {
      try (DataFileWriter<ModelSnapshot> writer =
               new DataFileWriter<>(new SpecificDatumWriter<>(ModelSnapshot.class))) {
        writer.setCodec(CodecFactory.snappyCodec());
        writer.setMeta(MODELS_META, snapshots.size());
        writer.create(ModelSnapshot.getClassSchema(), temp.toFile());
        for (ModelSnapshot s : snapshots) {
          writer.append(s);
        }
      }
      Files.move(temp, out);
    } catch (FileAlreadyExistsException e) {
      throw new UserException("--out " + out + " appeared while the snapshot was written;"
          + " nothing was overwritten", 1);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Reads every record of a snapshot file, failing with a message naming the file. */
  public static List<ModelSnapshot> read(String flag, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UserException(flag + " " + file + (Files.exists(file) ? " is not a file"
          : " does not exist"), 2);
    }
    List<ModelSnapshot> out = new ArrayList<>();
    try (DataFileReader<ModelSnapshot> reader = new DataFileReader<>(file.toFile(),
        new SpecificDatumReader<>(ModelSnapshot.class))) {
      if (!reader.getSchema().getFullName().equals(ModelSnapshot.getClassSchema().getFullName())) {
        throw new UserException(flag + " " + file + " is an Avro file of "
            + reader.getSchema().getFullName() + " records, not a model snapshot", 2);
      }
      while (reader.hasNext()) {
        out.add(reader.next());
      }
      long expected = reader.getMeta(MODELS_META) == null ? out.size()
          : reader.getMetaLong(MODELS_META);
      if (expected != out.size()) {
        throw new UserException(flag + " " + file + " is not a readable model snapshot: it is"
            + " truncated (it holds " + out.size() + " of its " + Counts.of(expected, "model")
            + ")", 2);
      }
    } catch (IOException | AvroRuntimeException | IllegalArgumentException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new UserException(flag + " " + file + " is not a readable model snapshot (an Avro"
          + " container file of ModelSnapshot records): it is truncated, corrupt or another kind"
          + " of file (" + why + ")", 2);
    }
    if (out.isEmpty()) {
      throw new UserException(flag + " " + file + " holds no model", 2);
    }
    for (ModelSnapshot s : out) {
      if (s.getSchemaVersion() > SCHEMA_VERSION) {
        throw new UserException(flag + " " + file + " has snapshot schema_version "
            + s.getSchemaVersion() + ", newer than this Gradflow reads (" + SCHEMA_VERSION
            + "); use the Gradflow that wrote it (" + s.getCodeVersion() + ")", 2);
      }
    }
    return out;
  }
}
