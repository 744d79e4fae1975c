"""`python -m checker` runs the pbcheck command line."""
from .cli import main

if __name__ == "__main__":
    main()
