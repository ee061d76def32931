"""CI: test reports as evidence (the signed hook, the JUnit reader and `remediate ci report`)."""
