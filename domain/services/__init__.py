"""Use cases: short async functions (cmd, uow, env) -> result. See domain.services.bus for dispatch."""
