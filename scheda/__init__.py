"""Scheda: a self-hosted CRM with HubSpot's record page and CRM API."""

__version__ = "0.1.0"
