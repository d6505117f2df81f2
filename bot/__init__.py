"""Prednisone in LEMS and ALS: a patient-information bot. The core decides; adapters send."""
