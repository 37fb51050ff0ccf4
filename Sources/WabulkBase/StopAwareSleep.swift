import ServiceLifecycle

/// Sleeps until `deadline` in one wait, woken at once by a graceful shutdown or a cancellation; false
/// when stopping. Services slept in quarter-second steps to notice a stop, which kept an idle daemon
/// waking many times a second for nothing.
public func sleepUnlessStopping(until deadline: ContinuousClock.Instant) async -> Bool {
    if Task.isShuttingDownGracefully || Task.isCancelled { return false }
    if deadline > ContinuousClock.now {
        await cancelWhenGracefulShutdown { try? await Task.sleep(until: deadline, clock: .continuous) }
    }
    return !(Task.isShuttingDownGracefully || Task.isCancelled)
}
