package org.shortrun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The native library is the application's choice: the library modules use LibTorch and the JNI
 * bridge only in their tests, the examples module brings them at run time, and every dependency
 * says why it is there.
 */
class PackagingTest {

    /**
     * A pom's direct dependency (not dependencyManagement): artifact id, scope, and whether a
     * comment explains it.
     */
    private record Dependency(String artifactId, String scope, boolean commented) {}

    private static List<Dependency> dependencies(String module) throws Exception {
        Element project =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(Path.of("..", module, "pom.xml").toFile())
                        .getDocumentElement();
        List<Dependency> out = new ArrayList<>();
        for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!"dependencies".equals(n.getNodeName())) {
                continue;
            }
            // a comment covers the dependency after it and the next ones of the same group id
            boolean comment = false;
            String previousGroup = null;
            boolean previousCommented = false;
            for (Node d = n.getFirstChild(); d != null; d = d.getNextSibling()) {
                if (d.getNodeType() == Node.COMMENT_NODE) {
                    comment = true;
                } else if ("dependency".equals(d.getNodeName())) {
                    Element e = (Element) d;
                    String group = e.getElementsByTagName("groupId").item(0).getTextContent();
                    boolean commented =
                            comment || (previousCommented && group.equals(previousGroup));
                    NodeList scope = e.getElementsByTagName("scope");
                    out.add(
                            new Dependency(
                                    e.getElementsByTagName("artifactId").item(0).getTextContent(),
                                    scope.getLength() == 0
                                            ? "compile"
                                            : scope.item(0).getTextContent(),
                                    commented));
                    comment = false;
                    previousGroup = group;
                    previousCommented = commented;
                }
            }
        }
        return out;
    }

    private static boolean isNative(Dependency d) {
        return d.artifactId().equals("${shortrun.native}")
                || d.artifactId().startsWith("pytorch-native")
                || d.artifactId().equals("pytorch-jni");
    }

    @Test
    void libraryModulesKeepTheNativeLibraryToTheirTests() throws Exception {
        for (String module : new String[] {"shortrun-core", "shortrun-datasets", "shortrun-eval"}) {
            List<Dependency> deps = dependencies(module);
            assertEquals(2, deps.stream().filter(PackagingTest::isNative).count(), module);
            for (Dependency d : deps) {
                if (isNative(d)) {
                    assertEquals("test", d.scope(), module + " " + d.artifactId());
                }
                assertFalse(d.artifactId().equals("model-zoo"), module);
            }
        }
    }

    @Test
    void theApplicationBringsTheNativeLibraryAtRunTime() throws Exception {
        List<Dependency> deps = dependencies("shortrun-examples");
        assertEquals(2, deps.stream().filter(PackagingTest::isNative).count());
        for (Dependency d : deps) {
            if (isNative(d)) {
                assertEquals("runtime", d.scope(), d.artifactId());
            }
            assertFalse(d.artifactId().equals("model-zoo"));
        }
    }

    @Test
    void everyDependencySaysWhy() throws Exception {
        for (String module :
                new String[] {
                    "shortrun-core", "shortrun-datasets", "shortrun-eval", "shortrun-examples"
                }) {
            for (Dependency d : dependencies(module)) {
                assertTrue(
                        d.commented(),
                        module + ": " + d.artifactId() + " has no comment before it");
            }
        }
    }
}
