"""`python -m agent.sandbox`: the sandbox's command line without the rest of the agent's CLI."""

from agent.sandbox.cli import main

if __name__ == "__main__":
    main()
