#!/usr/bin/env bash
# Prepares bench/device/dist/ on a development machine (JDK 25, Maven with its local repository) for a device
# machine that may have neither: the compiled classes (engine with its tests, models, bench, the test runner) and
# every jar they need, with JCuda's natives cut down to the driver binding (libJCudaDriver, 1 MB of the 26). With
# --with-jre it also adds a jlink'ed Java 25 runtime (bench/device/dist/jre). Pass the directory to the device
# session as a carried path (it is git-ignored):  run(..., carry=["bench/device/dist"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
dist=bench/device/dist
with_jre=false
[ "${1:-}" = "--with-jre" ] && with_jre=true

mvn -o -q package -DskipTests
mvn -o -q -pl engine test-compile
rm -rf "$dist"
mkdir -p "$dist/lib" "$dist/runner"
cp -r engine/target/classes "$dist/engine-classes"
cp -r engine/target/test-classes "$dist/engine-test-classes"
cp -r models/target/classes "$dist/models-classes"
cp -r bench/target/classes "$dist/bench-classes"

mvn -o -q -pl engine dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$dist/engine.cp"
{ tr ':' '\n' < "$dist/engine.cp"; echo; tr ':' '\n' < bench/target/classpath.txt; echo; } | sort -u | while read -r jar; do
    case "$jar" in
        *panamax-*|"") ;;                                   # our own modules: copied as classes above
        *jcuda-natives*) ;;                                 # replaced by the driver binding alone, below
        *) cp "$jar" "$dist/lib/" ;;
    esac
done
rm -f "$dist/engine.cp"
# The JUnit launcher (the runner's API), matching the platform version on the test class path.
engine_jar=$(ls "$dist"/lib/junit-platform-engine-*.jar)
platform_version=$(basename "$engine_jar" .jar | sed 's/junit-platform-engine-//')
cp "$HOME/.m2/repository/org/junit/platform/junit-platform-launcher/$platform_version/junit-platform-launcher-$platform_version.jar" "$dist/lib/"
# JCuda natives: keep only the driver binding.
natives=$(ls "$HOME"/.m2/repository/org/jcuda/jcuda-natives/*/jcuda-natives-*-linux-x86_64.jar | head -1)
work=$(mktemp -d)
(cd "$work" && unzip -q "$natives" 'lib/libJCudaDriver-*' 'META-INF/MANIFEST.MF' && zip -q -r driver-natives.jar lib META-INF)
cp "$work/driver-natives.jar" "$dist/lib/jcuda-driver-natives-linux-x86_64.jar"
rm -rf "$work"

javac -d "$dist/runner" -cp "$dist/lib/*" bench/device/RunCudaTests.java

if $with_jre; then
    "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,java.xml,java.desktop \
        --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$dist/jre"
fi
du -sh "$dist"
