console.log("calicoctl placeholder", process.version, process.argv.slice(2));
