using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Auth;
using Coord.Server.Data;
using NUnit.Framework;

namespace Coord.Tests.Server;

[TestFixture]
public sealed class AclAndPathTests
{
    [Test]
    public void DigestIsUserColonBase64Sha1()
    {
        // The digest ZooKeeper's DigestAuthenticationProvider.generateDigest gives for super:admin.
        Assert.That(AuthenticationProviders.GenerateDigest("super:admin"), Is.EqualTo("super:xQJmxLMiHGwaqBvst5y6rkB6HQs="));
    }

    [TestCase("digest", "user:hash", true)]
    [TestCase("digest", "user", false)]
    [TestCase("digest", "a:b:c", false)]
    [TestCase("digest", "user:", false)]
    [TestCase("ip", "10.0.0.0/8", true)]
    [TestCase("ip", "127.0.0.1", true)]
    [TestCase("ip", "1.2.3.4/99", false)]
    [TestCase("ip", "1.2.3", false)]
    [TestCase("ip", "300.1.1.1", false)]
    [TestCase("ip", "::1", false)]
    [TestCase("ip", "127.0.0.1/", false)]
    public void AclIdValidity(string scheme, string id, bool valid) =>
        Assert.That(AuthenticationProviders.IsValid(scheme, id), Is.EqualTo(valid));

    [Test]
    public void IpAclMatchesByPrefix()
    {
        var acl = new[] { new Acl(Perms.Read, new Id("ip", "10.1.0.0/16")) };
        Assert.That(AclChecker.Allowed(acl, Perms.Read, [new Id("ip", "10.1.2.3")]), Is.True);
        Assert.That(AclChecker.Allowed(acl, Perms.Read, [new Id("ip", "10.2.2.3")]), Is.False);
        Assert.That(AclChecker.Allowed(acl, Perms.Write, [new Id("ip", "10.1.2.3")]), Is.False);
    }

    [Test]
    public void SuperBypassesAndEmptyAclAllows()
    {
        var acl = new[] { new Acl(Perms.Read, new Id("digest", "bob:x")) };
        Assert.That(AclChecker.Allowed(acl, Perms.Admin, [AclChecker.Super]), Is.True);
        Assert.That(AclChecker.Allowed([], Perms.Admin, []), Is.True);
    }

    [Test]
    public void AuthSchemeExpandsToDigestIdsOnly()
    {
        var fixedUp = AclChecker.FixupAcl("/x", [new Id("ip", "127.0.0.1"), new Id("digest", "bob:h")], [new Acl(Perms.All, new Id("auth", "ignored"))]);
        Assert.That(fixedUp, Is.EqualTo(new[] { new Acl(Perms.All, new Id("digest", "bob:h")) }));
        var e = Assert.Throws<KeeperException>(() => AclChecker.FixupAcl("/x", [new Id("ip", "127.0.0.1")], [new Acl(Perms.All, new Id("auth", ""))]));
        Assert.That(e!.Code, Is.EqualTo(KeeperErrorCode.InvalidAcl));
        Assert.Throws<KeeperException>(() => AclChecker.FixupAcl("/x", [], []));
        Assert.Throws<KeeperException>(() => AclChecker.FixupAcl("/x", [], [new Acl(Perms.All, new Id("world", "someone"))]));
    }

    [TestCase("/", true)]
    [TestCase("/a/.b", true)]
    [TestCase("", false)]
    [TestCase("a", false)]
    [TestCase("/a/", false)]
    [TestCase("//a", false)]
    [TestCase("/a/./b", false)]
    [TestCase("/a/../b", false)]
    [TestCase("/a/.", false)]
    [TestCase("/a\u0001", false)]
    [TestCase("/a\ufff0", false)]
    public void PathValidation(string path, bool valid) => Assert.That(PathUtils.IsValid(path), Is.EqualTo(valid));
}
