package io.gradflow.flink;

import io.gradflow.model.CompactExample;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information for streams of {@link CompactExample}, with
 * {@link CompactExampleSerializer}. Declare it on every stream of examples
 * ({@code .returns(CompactExampleTypeInfo.INSTANCE)}); the learning core stays free of Flink, so
 * the class itself carries no annotation.
 */
public final class CompactExampleTypeInfo extends TypeInformation<CompactExample> {
  private static final long serialVersionUID = 1L;

  public static final CompactExampleTypeInfo INSTANCE = new CompactExampleTypeInfo();

  private CompactExampleTypeInfo() {}

  @Override
  public boolean isBasicType() {
    return false;
  }

  @Override
  public boolean isTupleType() {
    return false;
  }

  @Override
  public int getArity() {
    return 1;
  }

  @Override
  public int getTotalFields() {
    return 1;
  }

  @Override
  public Class<CompactExample> getTypeClass() {
    return CompactExample.class;
  }

  @Override
  public boolean isKeyType() {
    return false;
  }

  @Override
  public TypeSerializer<CompactExample> createSerializer(SerializerConfig config) {
    return CompactExampleSerializer.INSTANCE;
  }

  @Override
  public String toString() {
    return "CompactExample";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CompactExampleTypeInfo;
  }

  @Override
  public int hashCode() {
    return CompactExampleTypeInfo.class.hashCode();
  }

  @Override
  public boolean canEqual(Object o) {
    return o instanceof CompactExampleTypeInfo;
  }
}
