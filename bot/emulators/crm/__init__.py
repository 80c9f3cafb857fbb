"""Loopback fakes of the CRM endpoints Drumbeat's scheduled pull calls (tests only; never the internet)."""
