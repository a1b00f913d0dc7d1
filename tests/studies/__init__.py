"""Tests of the studies package."""
