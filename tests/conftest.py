"""Settings for the whole test suite."""
import os

# Lecture 13 trains for about a minute with CIFAR-10; the notebook tests run its cheap settings
# (trainlab.pipeline.QUICK_ENV). Set TRAINLAB_QUICK=0 to test the default run.
os.environ.setdefault("TRAINLAB_QUICK", "1")
