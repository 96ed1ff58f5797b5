"""`python -m llmcourse` is the same as the `llmcourse` command."""

from llmcourse.cli import main

raise SystemExit(main())
