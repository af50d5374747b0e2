package io.gradflow.flink;

import java.nio.ByteBuffer;

/**
 * Per-thread big-endian byte buffers for the serializers that convert primitive arrays in bulk
 * ({@link PageSerializer}): the bytes match those of {@code DataOutput.writeLong} and
 * {@code writeFloat}. One buffer per thread, because a serializer singleton is shared by the task
 * threads and by checkpointing threads; it grows to the largest record seen and is kept.
 */
final class ScratchBuffers {
  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(1 << 14));

  private ScratchBuffers() {}

  /** This thread's buffer, cleared, with room for at least {@code bytes}. */
  static ByteBuffer of(int bytes) {
    ByteBuffer b = SCRATCH.get();
    if (b.capacity() < bytes) {
      b = ByteBuffer.allocate(Math.max(bytes, 2 * b.capacity()));
      SCRATCH.set(b);
    }
    b.clear();
    return b;
  }
}
