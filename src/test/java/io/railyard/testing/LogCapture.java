package io.railyard.testing;

import org.jboss.logmanager.ExtLogRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the formatted messages logged to one logger (and its children) while open, so that a test can count
 * log lines such as "ejected" (the application logs through JBoss Logging onto the JBoss LogManager, which
 * java.util.logging handlers see).
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final List<String> messages = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String text = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
            synchronized (messages) {
                messages.add(text);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture(String loggerName) {
        this.logger = Logger.getLogger(loggerName);
        logger.addHandler(handler);
    }

    public static LogCapture of(Class<?> loggingClass) {
        return new LogCapture(loggingClass.getName());
    }

    /** Everything logged to the named logger, e.g. {@code railyard.access}. */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName);
    }

    /** Everything logged by the classes of {@code anyClassInIt}'s package and its subpackages. */
    public static LogCapture ofPackage(Class<?> anyClassInIt) {
        return new LogCapture(anyClassInIt.getPackageName());
    }

    /** Every message so far, in order. */
    public List<String> messages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    /** The messages so far that contain every one of {@code parts}. */
    public List<String> matching(String... parts) {
        List<String> out = new ArrayList<>();
        for (String m : messages()) {
            boolean all = m != null;
            for (String p : parts) {
                all = all && m.contains(p);
            }
            if (all) {
                out.add(m);
            }
        }
        return out;
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
