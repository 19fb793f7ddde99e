"""What the distribution's tests and the shells' tests share: backends started the way a shell
starts them, stages, the CI skip rule, private X displays. It sits beside those tests so they
run with `desktop-django/tests` on the path and nothing from the top-level `tests` package; the
top-level tests, the bench and the newcomer run import it from here too."""
