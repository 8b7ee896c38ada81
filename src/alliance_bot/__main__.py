from alliance_bot.cli import main

raise SystemExit(main())
