"""Classical baselines a comparison can hold the networks against (docs/methods.md#gbm)."""
