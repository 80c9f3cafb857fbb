"""Adapters for the CRMs' own APIs (each behind `bot.core.pipeline_pull.DealSource`); only here are their client
libraries imported."""
