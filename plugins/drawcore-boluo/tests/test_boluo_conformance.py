"""The Boluo plugin passes drawcore's conformance kit through its installed entry point."""

from drawcore.testing import conformance_tests

TestBoluoConformance = conformance_tests("boluo")
