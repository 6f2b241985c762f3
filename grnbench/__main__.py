from grnbench.cli import main

raise SystemExit(main())
