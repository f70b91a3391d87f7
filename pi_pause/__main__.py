from pi_pause.cli import main

raise SystemExit(main())
