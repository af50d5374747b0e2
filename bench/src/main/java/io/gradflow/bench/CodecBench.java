package io.gradflow.bench;

import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.RejectedRecordException;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.RecordCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Records per second of the producer-side encoding ({@code Example} to single-object bytes, as
 * {@code GradflowProducer} does) and the job-side decoding (bytes to a validated, hashed
 * {@code CompactExample}, as {@code ExampleDecodeFunction} does), next to a bare Avro loop on the
 * same records in the same run: {@code SpecificDatumWriter}/{@code SpecificDatumReader} on the
 * binary body with reused encoders, no header, no validation, no hashing. The ratios say what the
 * single-object header, the schema lookup, validation and hashing cost.
 *
 * <p>Records: click-through examples with {@code fields} hashed categorical features each
 * (DESIGN.md's prototype used 40). Throughput mode, one record per operation, so ops/s is
 * records/s. {@code java -jar bench/target/benchmarks.jar CodecBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBench {
  private static final int RECORDS = 4096; // a power of two

  @Param({"40"})
  public int fields;

  private Example[] examples;
  private byte[][] singleObject;
  private byte[][] bodies;
  private RecordCodec<Example> codec;
  private ExampleDecoder decoder;
  private SpecificDatumWriter<Example> writer;
  private SpecificDatumReader<Example> reader;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
  private BinaryEncoder encoder;
  private BinaryDecoder binaryDecoder;
  private Example reuse;
  private int next;

  @Setup
  public void setUp() throws IOException {
    ClickThroughGenerator.Spec d = ClickThroughGenerator.Spec.defaults(1);
    ClickThroughGenerator g = new ClickThroughGenerator(new ClickThroughGenerator.Spec(1, fields,
        100_000, 1.05, 0.6, -1.4, DriftSpec.NONE, "model-1", d.startMillis(), 10));
    List<Example> list = g.examples(RECORDS).toList();
    examples = list.toArray(new Example[0]);
    codec = Codecs.codec(Example.class);
    decoder = new ExampleDecoder(new FeatureHashing(24), Loss.LOGISTIC, "default");
    writer = new SpecificDatumWriter<>(Example.class);
    reader = new SpecificDatumReader<>(Example.class);
    singleObject = new byte[RECORDS][];
    bodies = new byte[RECORDS][];
    for (int i = 0; i < RECORDS; i++) {
      singleObject[i] = codec.encode(examples[i]);
      bodies[i] = bareEncode(examples[i]);
    }
  }

  private byte[] bareEncode(Example e) throws IOException {
    buffer.reset();
    encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
    writer.write(e, encoder);
    return buffer.toByteArray();
  }

  /** Producer side: Example to single-object-encoded bytes (header, fingerprint, body). */
  @Benchmark
  public byte[] producerEncode() {
    return codec.encode(examples[next++ & (RECORDS - 1)]);
  }

  /** Bare Avro: the binary body only, reused encoder. */
  @Benchmark
  public byte[] bareAvroEncode() throws IOException {
    return bareEncode(examples[next++ & (RECORDS - 1)]);
  }

  /** Job side: bytes to a validated, hashed CompactExample. */
  @Benchmark
  public CompactExample jobDecode() throws RejectedRecordException {
    return decoder.decodeExample(singleObject[next++ & (RECORDS - 1)]);
  }

  /** Job side without validation and hashing: single-object bytes to an Example. */
  @Benchmark
  public Example singleObjectDecode() {
    return codec.decode(singleObject[next++ & (RECORDS - 1)]);
  }

  /** Bare Avro: the binary body to an Example, reused decoder and record. */
  @Benchmark
  public Example bareAvroDecode() throws IOException {
    binaryDecoder = DecoderFactory.get().binaryDecoder(bodies[next++ & (RECORDS - 1)],
        binaryDecoder);
    reuse = reader.read(reuse, binaryDecoder);
    return reuse;
  }
}
