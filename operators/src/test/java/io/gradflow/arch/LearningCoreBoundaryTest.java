package io.gradflow.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The learning core is plain Java: no Flink, Avro, Kafka, ND4J or JSON types in its packages, so
 * it can be tested and reused on its own and the Flink side only adapts.
 */
@AnalyzeClasses(packages = "io.gradflow", importOptions = ImportOption.DoNotIncludeTests.class)
class LearningCoreBoundaryTest {
  @ArchTest
  static final ArchRule coreHasNoFrameworkDependencies = noClasses()
      .that().resideInAnyPackage("io.gradflow.optim..", "io.gradflow.schedule..",
          "io.gradflow.model..", "io.gradflow.drift..", "io.gradflow.metrics..",
          "io.gradflow.config..", "io.gradflow.learn..", "io.gradflow.session..")
      .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..",
          "org.apache.avro..", "org.apache.kafka..", "org.nd4j..", "com.fasterxml..")
      .because("the learning core is plain Java on float[] (see DESIGN.md, STYLE.md section 1)");
}
