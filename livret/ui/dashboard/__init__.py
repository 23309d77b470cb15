"""The learner dashboard: model, delegate, header, view, detail window, level picker."""
