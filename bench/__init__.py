"""The performance benchmark (``python -m bench``): ack latency against the Bolt floor, jobs and commands on
large histories. Not part of the test suite; see README, "Performance"."""
