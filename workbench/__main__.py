import sys

from workbench.shell.app import main

sys.exit(main())
