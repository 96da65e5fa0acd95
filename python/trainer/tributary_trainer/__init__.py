"""Tributary's Python trainer: a Temporal activity worker that trains a pipeline's model with
scikit-learn and returns it as ONNX (docs/python-trainer.md has the contract)."""

CONTRACT_VERSION = 1
