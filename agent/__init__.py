"""The accrochage agent service: config, store, state machine, scheduler and CLI."""
