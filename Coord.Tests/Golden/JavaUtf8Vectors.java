import java.nio.charset.StandardCharsets;
import java.util.*;
// Regenerates java-utf8-decode.tsv: javac JavaUtf8Vectors.java && java -cp . JavaUtf8Vectors > java-utf8-decode.tsv
// Each line: input bytes (hex), TAB, the UTF-16 code units of new String(bytes, UTF_8) (JDK 17), space-separated hex.
public class JavaUtf8Vectors {
  static String hex(byte[] b){StringBuilder s=new StringBuilder();for(byte x:b)s.append(String.format("%02x",x&0xff));return s.toString();}
  static String cps(String s){StringBuilder o=new StringBuilder();for(int i=0;i<s.length();i++){if(o.length()>0)o.append(' ');o.append(String.format("%04x",(int)s.charAt(i)));}return o.toString();}
  public static void main(String[] a){
    List<byte[]> cases=new ArrayList<>();
    String[] fixed={"","41","c3a9","e282ac","f09f9880","eda080","edbfbf","eda0","ed","c0","c1","c080","c3","c341","e0","e080","e08080","e0a0","e0a080","e09f80","e28241","e241","f0","f090","f09080","f0908080","f08f8080","f4","f48f","f48fbfbf","f4908080","f5808080","f8","ff","80","bf","8080","41c3","41e282","41f09f98","f09f9841","f0414141","f09f4141","f09f9841","e2e282ac","c3c3a9","fe41","edb080","eda080edb080","efbfbd","f7bfbfbf","f0808080"};
    for(String h:fixed){byte[] b=new byte[h.length()/2];for(int i=0;i<b.length;i++)b[i]=(byte)Integer.parseInt(h.substring(2*i,2*i+2),16);cases.add(b);}
    Random r=new Random(12345);
    int[] pool={0x41,0x80,0x9f,0xa0,0xbf,0xc0,0xc2,0xdf,0xe0,0xe1,0xed,0xef,0xf0,0xf1,0xf4,0xf5,0xff,0x90,0x8f};
    for(int n=0;n<400;n++){int len=1+r.nextInt(7);byte[] b=new byte[len];for(int i=0;i<len;i++)b[i]=(byte)pool[r.nextInt(pool.length)];cases.add(b);}
    for(byte[] b:cases){System.out.println(hex(b)+"\t"+cps(new String(b,StandardCharsets.UTF_8)));}
  }
}
