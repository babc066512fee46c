"""Numbers shared by the model and the GUI, importable without torch."""

IMAGE_SIZE = 28
NUM_CLASSES = 10
# MNIST training-set mean and standard deviation of pixels scaled to 0-1.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
