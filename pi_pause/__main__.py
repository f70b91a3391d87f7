from pi_pause.commands.cli import main

raise SystemExit(main())
