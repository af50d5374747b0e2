package io.gradflow.flink;

import io.gradflow.model.CompactExample;

/**
 * Flink type information for streams of {@link CompactExample}, with
 * {@link CompactExampleSerializer}. Declare it on every stream of examples
 * ({@code .returns(CompactExampleTypeInfo.INSTANCE)}); the learning core stays free of Flink, so
 * the class itself carries no annotation.
 */
public final class CompactExampleTypeInfo extends SerializerTypeInfo<CompactExample> {
  private static final long serialVersionUID = 1L;

  public static final CompactExampleTypeInfo INSTANCE = new CompactExampleTypeInfo();

  private CompactExampleTypeInfo() {
    super(CompactExample.class, CompactExampleSerializer.INSTANCE);
  }
}
