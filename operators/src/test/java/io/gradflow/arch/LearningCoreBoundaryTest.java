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

  /**
   * Apache Commons stays out of the learning itself; the settings' did-you-mean
   * ({@code io.gradflow.config.Suggestion}) is the one user of Commons Text in the core's
   * packages, and only of its string metrics.
   */
  @ArchTest
  static final ArchRule commonsOnlyForTheSettingsMessages = noClasses()
      .that().resideInAnyPackage("io.gradflow.optim..", "io.gradflow.schedule..",
          "io.gradflow.model..", "io.gradflow.drift..", "io.gradflow.metrics..",
          "io.gradflow.config..", "io.gradflow.learn..", "io.gradflow.session..")
      .and().doNotHaveFullyQualifiedName("io.gradflow.config.Suggestion")
      .should().dependOnClassesThat().resideInAnyPackage("org.apache.commons..")
      .because("the learning core is plain Java; Commons Text only suggests a setting's name");
}
