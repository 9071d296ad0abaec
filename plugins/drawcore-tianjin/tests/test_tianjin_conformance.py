"""The Tianjin plugin passes drawcore's conformance kit through its installed entry point."""

from drawcore.testing import conformance_tests

TestTianjinConformance = conformance_tests("tianjin")
