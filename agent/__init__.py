"""The growth agent: publish-to-learn and optimization loops on the Layers Partner API."""
