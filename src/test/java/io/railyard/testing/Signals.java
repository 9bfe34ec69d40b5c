package io.railyard.testing;

import java.util.concurrent.TimeUnit;

/** Freezes and thaws processes (SIGSTOP / SIGCONT), as a hung node or a long GC pause looks from outside. */
public final class Signals {

    private Signals() {
    }

    public static void stop(long pid) {
        send("STOP", pid);
    }

    public static void resume(long pid) {
        send("CONT", pid);
    }

    private static void send(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
