// Runs snappy-java (the library ZooKeeper's SnapStream uses) on files for SnappyTests:
//
//   java -cp /usr/share/java/snappy-java.jar SnappyJava.java decode IN OUT   SnappyInputStream:  IN -> OUT
//   java -cp /usr/share/java/snappy-java.jar SnappyJava.java encode IN OUT   SnappyOutputStream: IN -> OUT
//
// Several pairs may follow one another in a single run, to pay the JVM start once. Input is copied through in
// 1000-byte writes so block boundaries fall where SnappyOutputStream puts them, not where the writes end.

import java.io.*;
import java.nio.file.*;
import org.xerial.snappy.SnappyInputStream;
import org.xerial.snappy.SnappyOutputStream;

public class SnappyJava {
    public static void main(String[] args) throws IOException {
        String mode = args[0];
        for (int i = 1; i + 1 < args.length; i += 2) {
            try (InputStream raw = Files.newInputStream(Paths.get(args[i]));
                 InputStream in = mode.equals("decode") ? new SnappyInputStream(raw) : raw;
                 OutputStream file = Files.newOutputStream(Paths.get(args[i + 1]));
                 OutputStream out = mode.equals("encode") ? new SnappyOutputStream(file) : file) {
                byte[] buf = new byte[1000];
                for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
            }
        }
    }
}
