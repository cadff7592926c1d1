package dev.jinfer.spring;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.ResourceLoaderAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Registers one {@link ModelPredictor} bean per model: every model named under {@code jinfer.models}, in
 * {@code jinfer.repository.required-models}, or with a directory under {@code jinfer.repository.root} (for a
 * {@code classpath:} root, a resource directory holding {@code <version>/<artifact>}). The
 * bean's name is the model's name and it carries {@code @Qualifier("<name>")}; a bean of that name the
 * application defines itself wins, and none is registered.
 */
final class ModelPredictorRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware, ResourceLoaderAware {
  private static final Logger LOG = LoggerFactory.getLogger(ModelPredictorRegistrar.class);
  private static final ConfigurationPropertyName MODELS = ConfigurationPropertyName.of("jinfer.models");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

  private @org.jspecify.annotations.Nullable Environment environment;
  private @org.jspecify.annotations.Nullable ClassLoader classLoader;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setResourceLoader(ResourceLoader resourceLoader) {
    this.classLoader = resourceLoader.getClassLoader();
  }

  @Override
  public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
    for (String name : modelNames(java.util.Objects.requireNonNull(environment, "environment"), classLoader)) {
      if (registry.containsBeanDefinition(name)) {
        LOG.info("model '{}': the application defines a bean named '{}'; jinfer registers no Predictor bean for it", name, name);
        continue;
      }
      RootBeanDefinition bd = new RootBeanDefinition(ModelPredictor.class);
      bd.setFactoryBeanName(JinferAutoConfiguration.PREDICTORS_BEAN);
      bd.setFactoryMethodName("create");
      bd.getConstructorArgumentValues().addIndexedArgumentValue(0, name);
      bd.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
      bd.setDestroyMethodName("close");
      registry.registerBeanDefinition(name, bd);
    }
  }

  /** The names of the models to register beans for, sorted; the class loader reads a classpath repository. */
  static Set<String> modelNames(Environment environment, @org.jspecify.annotations.Nullable ClassLoader classLoader) {
    Set<String> names = new TreeSet<>();
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (source instanceof IterableConfigurationPropertySource) {
        ((IterableConfigurationPropertySource) source).stream()
            .filter(n -> MODELS.isAncestorOf(n) && n.getNumberOfElements() > MODELS.getNumberOfElements())
            .map(n -> n.getElement(MODELS.getNumberOfElements(), ConfigurationPropertyName.Form.ORIGINAL))
            .forEach(names::add);
      }
    }
    Binder binder = Binder.get(environment);
    try {
      names.addAll(binder.bind("jinfer.repository.required-models", Bindable.listOf(String.class)).orElse(List.of()));
      String root = binder.bind("jinfer.repository.root", String.class).orElse(null);
      if (root != null && !root.isBlank()) {
        names.addAll(RepositoryLocation.parse(root).modelNames(classLoader));
      }
    } catch (IOException | RuntimeException e) {
      // the properties' own binding and validation report it with the property's name
      LOG.debug("jinfer: cannot list the models for Predictor beans yet: {}", e.toString());
    }
    names.removeIf(n -> !NAME.matcher(n).matches() || n.contains(".."));
    return names;
  }
}
