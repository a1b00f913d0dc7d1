"""Research studies built on the workbench: each subpackage is one study with its own CLI."""
