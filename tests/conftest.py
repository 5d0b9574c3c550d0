def pytest_configure(config):
    config.addinivalue_line("markers", "ddp: multi-process (torchrun, gloo) training tests; run alone with -m ddp")
