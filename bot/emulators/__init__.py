"""Chat platform emulators on loopback, used by the tests, the benchmarks and the sandbox.

They sit beside the adapters, not inside them: an emulator plays the platform (its Web API, its limits,
its users sending signed requests), so it must never share code with the adapter it is checking.
"""
