"""Detector families (one per module) and the shared RoI head."""
