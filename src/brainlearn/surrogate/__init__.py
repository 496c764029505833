"""brainlearn.surrogate: a spiking network trained by backpropagation through time with
surrogate gradients (:class:`~brainlearn.surrogate.model.SurrogateSpikingClassifier`)."""
