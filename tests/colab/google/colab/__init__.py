"""A stand-in for Colab's `google.colab` package, for the simulated Colab runs in tests/test_colab.py.

Only what the course touches: the module itself (notebooks test `"google.colab" in sys.modules`) and
`userdata` (Colab secrets). `google/` has no __init__.py: a namespace package, so a real `google.*`
distribution installed in the same environment (google-genai, protobuf) still imports.
"""
