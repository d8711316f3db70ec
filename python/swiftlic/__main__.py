"""`python -m swiftlic …` is the `swiftlic` command."""

from .cli import main

raise SystemExit(main())
