// Writes the fixtures beside it: `hexbits text` lines, text = Java's Double.toString /
// Float.toString, for edge classes and random bit patterns (fixed seed, so reruns agree).
//
// Run (OpenJDK 17.0.15, the Java that Spark 3.5 runs on here), from the repository root:
//   cd tests/data/java_doubles && javac -d /tmp/jgen Gen.java && java -cp /tmp/jgen Gen
// It writes doubles.txt and floats.txt (read by src/engine/text/java_dtoa_tests.rs).
import java.io.*;
import java.math.BigInteger;
import java.util.*;

public class Gen {
    static final LinkedHashSet<Long> D = new LinkedHashSet<>();
    static final LinkedHashSet<Integer> F = new LinkedHashSet<>();

    // A double and its neighbours up to `ulps` away (same sign, finite only).
    static void d(double v, int ulps) {
        long b = Double.doubleToRawLongBits(v);
        for (long i = -ulps; i <= ulps; i++) {
            long c = b + i;
            if ((c ^ b) >= 0 && !Double.isNaN(Double.longBitsToDouble(c))) D.add(c);
        }
    }

    static void f(float v, int ulps) {
        int b = Float.floatToRawIntBits(v);
        for (int i = -ulps; i <= ulps; i++) {
            int c = b + i;
            if ((c ^ b) >= 0 && !Float.isNaN(Float.intBitsToFloat(c))) F.add(c);
        }
    }

    public static void main(String[] args) throws IOException {
        Random r = new Random(17);
        // Specials and extremes.
        for (double v : new double[] {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY}) D.add(Double.doubleToRawLongBits(v));
        d(Double.MIN_VALUE, 3); d(Double.MAX_VALUE, 3); d(Double.MIN_NORMAL, 3); d(-Double.MIN_VALUE, 1);
        // Reported misses and the JDK-4511638 examples.
        for (double v : new double[] {8.41E21, 1.0E23, 2.5196771293900143E25, 5.9E-323, 2.0E23,
                1.9400994884341945E25, 5.684341886080802E-14, 2.82879384806159E17, 1.0E-5, 2.0E-3})
            d(v, 2);
        // Small subnormals, then every power of two with its neighbours (subnormals included).
        for (long i = 1; i <= 300; i++) D.add(i);
        for (int e = -1074; e <= 1023; e++) d(Math.scalb(1.0, e), 1);
        // Powers of ten across the range, and their neighbours.
        for (int k = -323; k <= 308; k++) d(Double.parseDouble("1e" + k), 1);
        // Integers in [2^53, 2^64], a few per binade plus the powers of ten there.
        for (int k = 53; k < 64; k++)
            for (int i = 0; i < 150; i++)
                d(new BigInteger(k, r).setBit(k).doubleValue(), 0);
        d(Math.scalb(1.0, 64), 2);
        // 1e20..1e26: m × 10^k for short m, where non-shortest digits show up.
        for (int k = 17; k <= 23; k++)
            for (int m = 1; m <= 999; m += (m < 100 ? 1 : 7))
                d(Double.parseDouble(m + "e" + k), 0);
        // Doubles whose digit loop meets `b + m == 10 s` exactly (Java's big-integer test is `>=`;
        // found by searching m with 5^j | 2m+1, e = 63..1023).
        for (long b : new long[] {
            0x455c4402cbe6acaeL, 0x45db605b0625c6e3L, 0x455d771a9be86a1eL, 0x45a90fa87a48388bL,
            0x457380fc0d85d99bL, 0x45638b50343b7d49L, 0x4567c613bbf4ec6eL, 0x45bb4539e5251c5fL,
            0x4568522f6b7fa3edL, 0x457723b4ea7bd32eL, 0x4592d90d1746abfaL, 0x456429724498c3b1L,
            0x4576abf00da545e8L, 0x457bf0c636050ec7L, 0x459ace6780f4db29L, 0x45bfe6042575732bL,
            0x455f08640f282128L, 0x45970f4d3e979d93L, 0x459e8bdd10989906L, 0x4560178ea515578fL,
            0x457ff821b48d644fL, 0x4568fa8e5fedc3bdL, 0x4569a193a16e68e5L, 0x455f8dcf41e132dfL,
            0x45632fff4a8af4e6L, 0x455b892dd2afd889L, 0x45780081e8cb17c9L, 0x457de7e0ea539f75L,
            0x45ad5b3244435e53L, 0x4579fc5d38d4dba5L, 0x45792977006fa317L, 0x455a34fe688bc3cfL,
            0x45662a1dc397456dL, 0x455bab66ead09e6bL, 0x455677f7dccbf9e3L, 0x45a7eeea25ff749aL,
            0x45936977070190e8L, 0x4572a267ea072989L, 0x4582b8a4910a7338L, 0x4599565cc95637e3L
        }) D.add(b);
        // Random subnormals, then random bit patterns.
        for (int i = 0; i < 400; i++) D.add(r.nextLong() & 0xfffffffffffffL);
        while (D.size() < 30000) D.add(r.nextLong());

        for (float v : new float[] {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
            F.add(Float.floatToRawIntBits(v));
        f(Float.MIN_VALUE, 3); f(Float.MAX_VALUE, 3); f(Float.MIN_NORMAL, 3);
        for (float v : new float[] {1.17549435E-38f, 5.0652185E25f, 1.0E23f, 8.41E21f, 1.1f, 0.1f})
            f(v, 2);
        for (int i = 1; i <= 300; i++) F.add(i);
        for (int e = -149; e <= 127; e++) f(Math.scalb(1.0f, e), 2);
        for (int k = -45; k <= 38; k++) f(Float.parseFloat("1e" + k), 2);
        for (int k = 24; k < 64; k++)
            for (int i = 0; i < 40; i++)
                f(new BigInteger(k, r).setBit(k).floatValue(), 0);
        for (int k = 7; k <= 30; k++)
            for (int m = 1; m <= 999; m += (m < 100 ? 3 : 17))
                f(Float.parseFloat(m + "e" + k), 0);
        for (int i = 0; i < 300; i++) F.add(r.nextInt() & 0x7fffff);
        while (F.size() < 30000) F.add(r.nextInt());

        try (PrintWriter w = new PrintWriter(new FileWriter("doubles.txt"))) {
            for (long b : D) w.print(Long.toHexString(b) + " " + Double.toString(Double.longBitsToDouble(b)) + "\n");
        }
        try (PrintWriter w = new PrintWriter(new FileWriter("floats.txt"))) {
            for (int b : F) w.print(Integer.toHexString(b) + " " + Float.toString(Float.intBitsToFloat(b)) + "\n");
        }
    }
}
