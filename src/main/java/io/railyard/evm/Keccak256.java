package io.railyard.evm;

/**
 * Keccak-256 as Ethereum uses it: the original Keccak padding (0x01), not NIST SHA3-256 (0x06), which the JDK
 * offers but which gives different hashes. Used to compute a transaction's hash from its raw signed bytes.
 */
public final class Keccak256 {

    private static final int RATE = 136; // bytes: 1600-bit state minus 2 * 256-bit capacity

    private static final long[] ROUND_CONSTANTS = {
        0x0000000000000001L, 0x0000000000008082L, 0x800000000000808aL, 0x8000000080008000L,
        0x000000000000808bL, 0x0000000080000001L, 0x8000000080008081L, 0x8000000000008009L,
        0x000000000000008aL, 0x0000000000000088L, 0x0000000080008009L, 0x000000008000000aL,
        0x000000008000808bL, 0x800000000000008bL, 0x8000000000008089L, 0x8000000000008003L,
        0x8000000000008002L, 0x8000000000000080L, 0x000000000000800aL, 0x800000008000000aL,
        0x8000000080008081L, 0x8000000000008080L, 0x0000000080000001L, 0x8000000080008008L,
    };
    private static final int[] ROTATIONS = {1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44};
    private static final int[] PI_LANES = {10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1};
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Keccak256() {
    }

    public static byte[] hash(byte[] data) {
        long[] state = new long[25];
        int offset = 0;
        for (; data.length - offset >= RATE; offset += RATE) {
            absorb(state, data, offset);
            permute(state);
        }
        byte[] last = new byte[RATE];
        int rest = data.length - offset;
        System.arraycopy(data, offset, last, 0, rest);
        last[rest] ^= 0x01;
        last[RATE - 1] ^= (byte) 0x80;
        absorb(state, last, 0);
        permute(state);

        byte[] out = new byte[32];
        for (int i = 0; i < 32; i++) {
            out[i] = (byte) (state[i >>> 3] >>> (8 * (i & 7)));
        }
        return out;
    }

    /** {@code "0x"} and the lower-case hex of the hash. */
    public static String hexHash(byte[] data) {
        return toHex(hash(data));
    }

    public static String toHex(byte[] bytes) {
        char[] out = new char[2 + bytes.length * 2];
        out[0] = '0';
        out[1] = 'x';
        for (int i = 0; i < bytes.length; i++) {
            out[2 + 2 * i] = HEX[(bytes[i] >>> 4) & 0xf];
            out[3 + 2 * i] = HEX[bytes[i] & 0xf];
        }
        return new String(out);
    }

    /** Decodes {@code 0x}-prefixed hex of even length (either case); throws IllegalArgumentException otherwise. */
    public static byte[] hexToBytes(String hex) {
        if (hex == null || !hex.startsWith("0x") || (hex.length() & 1) != 0) {
            throw new IllegalArgumentException("not 0x-prefixed hex of even length");
        }
        byte[] out = new byte[(hex.length() - 2) / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = BlockRef.hexDigit(hex.charAt(2 + 2 * i));
            int lo = BlockRef.hexDigit(hex.charAt(3 + 2 * i));
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not a hex digit at " + (2 + 2 * i));
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    private static void absorb(long[] state, byte[] block, int offset) {
        for (int lane = 0; lane < RATE / 8; lane++) {
            long v = 0;
            for (int b = 7; b >= 0; b--) { // lanes are little-endian
                v = (v << 8) | (block[offset + 8 * lane + b] & 0xffL);
            }
            state[lane] ^= v;
        }
    }

    private static void permute(long[] s) {
        long[] c = new long[5];
        for (long rc : ROUND_CONSTANTS) {
            // theta
            for (int x = 0; x < 5; x++) {
                c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
            }
            for (int x = 0; x < 5; x++) {
                long d = c[(x + 4) % 5] ^ Long.rotateLeft(c[(x + 1) % 5], 1);
                for (int y = 0; y < 25; y += 5) {
                    s[y + x] ^= d;
                }
            }
            // rho and pi
            long t = s[1];
            for (int i = 0; i < 24; i++) {
                int j = PI_LANES[i];
                long next = s[j];
                s[j] = Long.rotateLeft(t, ROTATIONS[i]);
                t = next;
            }
            // chi
            for (int y = 0; y < 25; y += 5) {
                for (int x = 0; x < 5; x++) {
                    c[x] = s[y + x];
                }
                for (int x = 0; x < 5; x++) {
                    s[y + x] ^= ~c[(x + 1) % 5] & c[(x + 2) % 5];
                }
            }
            // iota
            s[0] ^= rc;
        }
    }
}
